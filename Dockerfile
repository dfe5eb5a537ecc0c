# One image for the Rasa server, the action server and the knowledge-base loader.
# Build: docker build -t tro-ly-khuyen-cong .    (trains the model at build time)
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
WORKDIR /app

# Dependencies first (cached layer): only pyproject changes invalidate it.
COPY pyproject.toml README.md ./
COPY vntext/__init__.py vntext/__init__.py
COPY policy_kb/__init__.py policy_kb/__init__.py
COPY lead_store/__init__.py lead_store/__init__.py
COPY bot/__init__.py bot/__init__.py
COPY console/__init__.py console/__init__.py
COPY actions/__init__.py actions/__init__.py
RUN pip install -e . && useradd --create-home --uid 10001 rasa

COPY . .
RUN rasa train --config config.yml --domain bot/domain \
        --data nlu_data/train nlu_data/lookups bot/data \
        --out models --fixed-model-name khuyencong \
    && chown -R rasa /app
USER rasa

EXPOSE 5005 5055 8080
# Rasa server by default; the same image runs the other roles:
#   action server:      python -m rasa_sdk --actions actions --port 5055
#   officers' console:  python -m console serve --host 0.0.0.0 --port 8080   (applies migrations first)
# Rasa's HTTP API is on for the console (officers' replies, transcripts) and needs RASA_API_TOKEN;
# the public proxy (deploy/nginx.conf) forwards only the channels' paths, never the API.
# `python -m bot.serve run` is `rasa run` without importing TensorFlow (bot/no_tensorflow.py).
CMD ["sh", "-c", "exec python -m bot.serve run --model models/khuyencong.tar.gz --endpoints deploy/endpoints.yml \
     --credentials bot/credentials.yml --port 5005 --cors '*' \
     --enable-api --auth-token \"${RASA_API_TOKEN:?set RASA_API_TOKEN}\""]
