"""Beam pipeline options for our commands.

When no `--runner` is given we run on Beam's FnApiRunner, the in-process engine the
DirectRunner itself uses for batch pipelines. Asking for the DirectRunner by name
would first try to download the Prism runner binary from the internet, which a
nightly job (and our offline tests) must not do. Every flag, `--runner` included,
can still be given on the command line; `unknown_flags` tells a Beam flag from a typo.
"""
import argparse

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions, _BeamArgumentParser

LOCAL_RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"


class BeamFlagError(ValueError):
    """A Beam flag with a value Beam refuses (e.g. `--direct_num_workers two`)."""


class _CheckingParser(_BeamArgumentParser):
    """Beam's own option parser, raising instead of exiting on a bad value."""

    def error(self, message: str):
        raise BeamFlagError(f"Beam option: {message}")


def make_pipeline_options(beam_args: list[str] | tuple[str, ...]) -> PipelineOptions:
    """PipelineOptions from the flags the CLI passed through, with our local default runner."""
    options = PipelineOptions(list(beam_args))
    standard = options.view_as(StandardOptions)
    if not any(arg == "--runner" or arg.startswith("--runner=") for arg in beam_args):
        standard.runner = LOCAL_RUNNER
    return options


def unknown_flags(flags: list[str]) -> list[str]:
    """The arguments of `flags` that no PipelineOptions class of Beam defines (kept in order).

    The parser is built the way PipelineOptions.get_all_options builds its own: every
    subclass's `_add_argparse_args`, so `--runner`, `--flink_master`, `--direct_num_workers`
    and the rest pass and `--snapshott` does not. BeamFlagError when a known flag's value is bad.
    """
    parser = _CheckingParser()
    classes = {str(cls): cls for cls in PipelineOptions.__subclasses__()}
    for cls in classes.values():
        cls._add_argparse_args(parser)
    try:
        _, unknown = parser.parse_known_args(flags)
    except argparse.ArgumentError as exc:
        raise BeamFlagError(f"Beam option: {exc}") from exc
    return unknown
