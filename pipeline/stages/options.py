"""Beam pipeline options for our commands.

When no `--runner` is given we run on Beam's FnApiRunner, the in-process engine the
DirectRunner itself uses for batch pipelines. Asking for the DirectRunner by name
would first try to download the Prism runner binary from the internet, which a
nightly job (and our offline tests) must not do. Every flag, `--runner` included,
can still be given on the command line.
"""
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

LOCAL_RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"


def make_pipeline_options(beam_args: list[str] | tuple[str, ...]) -> PipelineOptions:
    """PipelineOptions from the flags the CLI passed through, with our local default runner."""
    options = PipelineOptions(list(beam_args))
    standard = options.view_as(StandardOptions)
    if not any(arg == "--runner" or arg.startswith("--runner=") for arg in beam_args):
        standard.runner = LOCAL_RUNNER
    return options
