"""LSTM Studio: from raw review text to a trained RNN/LSTM, and a look inside its gates."""

__version__ = "0.1.0"
APP_NAME = "LSTM Studio"
APP_ID = "io.github.lstmstudio.LSTMStudio"
