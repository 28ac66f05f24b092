#!/bin/sh
# Runs the Rasa server ("rasa") or the action server ("actions") of the dialogue core; anything
# else is executed as given (e.g. "rasa train ..." in the model stage). Secrets come from the
# environment at run time (RASA_TOKEN; REDIS_PASSWORD for bot/endpoints.yml), never from the image.
set -eu
case "${1:-rasa}" in
  rasa)
    : "${RASA_TOKEN:?RASA_TOKEN must be set}"
    model="${RASA_MODEL:-/app/models}"
    exec python -m rasa run --model "$model" --enable-api --auth-token "$RASA_TOKEN" \
      --interface 0.0.0.0 --port "${RASA_PORT:-5005}" \
      --credentials bot/credentials.yml --endpoints bot/endpoints.yml
    ;;
  actions)
    exec python -m actions.server --host 0.0.0.0 --port "${ACTION_SERVER_PORT:-5055}"
    ;;
  *)
    exec "$@"
    ;;
esac
