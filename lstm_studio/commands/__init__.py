"""One module per `lstm-studio` subcommand; see lstm_studio.cli for the contract."""
