"""What is trained: dense networks, losses, the safe expression language, and the two fast programs.

``nn`` builds a dense network's parameters (``layer1.W``, ``layer1.b``, ...) and its forward
graph; ``losses`` holds PyTorch's five losses with mean reduction; ``expr`` (with
``expr_syntax``) reads an expression such as ``(a-1)**2 + b*x`` into an autodiff graph without
ever calling ``eval``; ``scalar_program`` and ``dense_program`` compute the same losses and
gradients as the graph without building one, for the training loop's speed.
"""


from gradstep.engine.model.dense_program import DenseProgram
from gradstep.engine.model.expr import CONSTANTS, FUNCTIONS, Expression, parse_expression
from gradstep.engine.model.losses import LOSSES
from gradstep.engine.model.nn import INITS, network_forward, network_parameters, parameter_names
from gradstep.engine.model.scalar_program import ScalarProgram, scalar_program

__all__ = [
    "DenseProgram", "CONSTANTS", "FUNCTIONS", "Expression", "parse_expression", "LOSSES",
    "INITS", "network_forward", "network_parameters", "parameter_names", "ScalarProgram",
    "scalar_program"
]
