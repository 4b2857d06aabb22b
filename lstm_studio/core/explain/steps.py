"""How many integrated-gradients steps an explanation starts from and may escalate to.

Torch-free, so that the command line can state them in its help without loading torch: every
`lstm-studio` command builds the whole parser, and `lstm-studio data` must stay light.
"""

FIRST_STEPS = 32  # Gauss–Legendre nodes to start with (FIRST_STEPS / NODES segments)
MAX_STEPS = 1024  # the cap of the escalation
