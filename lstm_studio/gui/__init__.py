"""Qt views over lstm_studio.core: main window, one module per tab, workers, reusable widgets."""
