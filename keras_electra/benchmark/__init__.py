"""Side-by-side benchmarks of keras-electra (every backend) and transformers.

The orchestration lives in `runner`; each measured configuration runs in its own
subprocess (`worker`), so backends never share a process.
"""

from keras_electra.benchmark.flops import finetune_step_flops
from keras_electra.benchmark.flops import inference_flops
from keras_electra.benchmark.flops import pretrain_step_flops
