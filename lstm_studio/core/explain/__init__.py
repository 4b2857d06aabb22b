"""Why the model decided: attribution, neuron search and unit ordering (no Qt).

    explain(bundle, text, method="ig"|"occlusion", target=None) -> Attribution
    scan_unit(bundle, documents, UnitRef(...)) -> UnitScan        top phrases + histogram
    span_units(trace, ...) / scan_units(bundle, documents, ...)   units specific to a span
    rank_units(series, criterion, ...)                            order the heatmaps' units

What-if edits live in the shared recurrence (lstm_studio.core.gates.interventions). The modules
import torch; import them inside functions from code the GUI loads at start-up.
"""
