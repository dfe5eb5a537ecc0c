# Common environment for the scripts (sourced).
export RASA_TELEMETRY_ENABLED=false        # no network access at run time
export TF_CPP_MIN_LOG_LEVEL=2               # keep TensorFlow's start-up chatter out of logs
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$PWD/.rasa/cache}"
VENV_BIN="$PWD/.venv/bin"
TRAIN_DATA="nlu_data/train nlu_data/lookups bot/data"  # word-split on purpose
