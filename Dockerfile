# Custom Apache Beam SDK container with cord19-pipeline installed.
#   docker build --target worker -t cord19-pipeline-worker .   # for --sdk_container_image / --environment_config
#   docker build -t cord19-pipeline .                          # the nightly job (default target)
# The Beam version must match the apache-beam the job is launched with.
ARG BEAM_VERSION=2.62.0
FROM apache/beam_python3.11_sdk:${BEAM_VERSION} AS worker
WORKDIR /opt/cord19-pipeline
COPY setup.py setup.cfg README.md ./
COPY pipeline ./pipeline
COPY parsers ./parsers
COPY dedup ./dedup
COPY release ./release
COPY schemas ./schemas
RUN pip install --no-cache-dir .
# The worker keeps the SDK image's entry point (/opt/apache/beam/boot).

FROM worker AS nightly
ENTRYPOINT ["cord19", "nightly", "--config", "/etc/cord19/nightly.toml"]
