"""The `squad` and `squad2` tasks of `keras-electra finetune/evaluate/predict`.

Listed in `cli.task_registry`. Training, evaluation and prediction
go through the SQuAD application, `apps.squad` (windowed preprocessing, the
original span head, n-best decoding and the official metrics).
"""

from keras_electra.cli.finetune_task import FinetuneTask

SQUAD_TASK_NAMES = ("squad", "squad2")


class SquadFile:
    """A SQuAD JSON file, read once; `len()` is its number of questions."""

    def __init__(self, path, version):
        from keras_electra.data.squad import read_squad

        self.path = path
        self.dataset = read_squad(path, version=version, verbose=False)

    def __len__(self):
        return len(self.dataset.examples)


class SquadTask(FinetuneTask):
    """SQuAD 1.1 (`squad`) or 2.0 (`squad2`) extractive question answering."""

    runs_own_finetune = True

    def __init__(self, name):
        self.name = name
        self.recipe_task = name
        self.version = "2.0" if name == "squad2" else "1.1"
        self.metric = "best_f1" if name == "squad2" else "f1"

    def run_finetune(self, args):
        """The whole `finetune` command for SQuAD; returns the exit code."""
        from keras_electra.apps.squad import SquadSettings
        from keras_electra.apps.squad import train_squad
        from keras_electra.cli.finetune_task import INFO_FILE

        if args.max_steps:
            raise SystemExit("--max-steps is not supported for SQuAD; use --max-train-examples.")
        if args.head == "pooler":
            raise SystemExit("--head pooler is for classification; SQuAD takes 'original' or 'hf'.")
        settings = SquadSettings(
            preset=args.preset, train_file=args.train, out=args.out, eval_file=args.eval,
            version=self.version, head=args.head or "original",
            sequence_length=args.sequence_length,  # None: the recipe's 512
            max_query_length=args.max_query_length, doc_stride=args.doc_stride,
            epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate, layerwise_decay=args.layerwise_decay,
            size=args.size, max_train_examples=args.max_train_examples,
            max_eval_examples=args.max_eval_examples, seed=args.seed,
        )
        info = {"task": self.name, "version": self.version,
                "preset": args.preset, "train_file": args.train}
        metrics = train_squad(settings, extra_files={INFO_FILE: info})
        headline = metrics.get(self.metric)
        if headline is not None:
            print(f"{self.name}: {self.metric} {headline:.2f}")
        return 0

    def read(self, path, args, split):
        return SquadFile(path, self.version)

    def load(self, directory):
        from keras_electra.tasks import ElectraQuestionAnswerer

        return ElectraQuestionAnswerer.from_preset(directory)

    def evaluate(self, model, data, info, args):
        from keras_electra.apps.squad import evaluate_squad

        return evaluate_squad(model, data.path, version=self.version, verbose=0,
                              batch_size=getattr(args, "batch_size", 32))

    def predict(self, model, data, info, args):
        from keras_electra.apps.squad import predict_squad

        _, predictions = predict_squad(model, data.path, version=self.version, verbose=0,
                                       batch_size=getattr(args, "batch_size", 32))
        return [[qid, answer] for qid, answer in predictions.answers.items()]

