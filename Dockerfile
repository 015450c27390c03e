# modelarts-emulator as a container: configured only through MODELARTS_EMULATOR_* variables.
FROM python:3.11-slim

WORKDIR /opt/modelarts-emulator
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY schemas ./schemas
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --no-create-home emulator

ENV MODELARTS_EMULATOR_HOST=0.0.0.0 \
    MODELARTS_EMULATOR_PORT=8080
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=2s --start-period=2s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/_emulator/health', timeout=2)"]
CMD ["modelarts-emulator"]
