# modelarts-emulator as a container, configured only through MODELARTS_EMULATOR_* variables.
#   docker run -p 127.0.0.1:8080:8080 -p 127.0.0.1:9000:9000 \
#     -v "$PWD/scenarios:/scenarios:ro" -e MODELARTS_EMULATOR_ADMIN_TOKEN=local-admin IMAGE
# Without an admin token the control API (reset, clock, scenarios) is off: the container
# listens beyond loopback. With one, send it in X-Emulator-Admin-Token (README: In a container).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/modelarts-emulator
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY schemas ./schemas
COPY scenarios ./scenarios
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --no-create-home emulator \
    && mkdir -p /scenarios /seed

# Mount points: /scenarios (scenario files, all loaded) and /seed (a seed.yaml there
# replaces the bundled demo seed). The container binds all interfaces on purpose.
ENV MODELARTS_EMULATOR_HOST=0.0.0.0 \
    MODELARTS_EMULATOR_PORT=8080 \
    MODELARTS_EMULATOR_OBS_PORT=9000 \
    MODELARTS_EMULATOR_SCENARIOS=/scenarios \
    MODELARTS_EMULATOR_SEED=/seed
USER 10001
EXPOSE 8080 9000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('MODELARTS_EMULATOR_PORT', '8080'), timeout=2)"]
CMD ["modelarts-emulator"]
