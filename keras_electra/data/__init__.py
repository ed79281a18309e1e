from keras_electra.data.squad import SquadDataset
from keras_electra.data.squad import SquadExample
from keras_electra.data.squad import read_squad
