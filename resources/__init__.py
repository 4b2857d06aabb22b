"""Icons, desktop entry and the built-in sample datasets (installed as lstm_studio.resources)."""
