"""Small reusable widgets shared by the tabs: charts, the task bar, the before/after diff."""
