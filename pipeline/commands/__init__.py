"""One module per `cord19` subcommand; each has `register(subparsers)` and `run(args, beam_args)`."""
