"""Looking at a step from outside the training loop: the chain rule, the gradient check, the
loss surface and races between optimizers.

``curvature`` finds the loss Hessian's largest eigenvalue and the learning rate 2 / lambda_max
that plain gradient descent must stay under; ``chain`` (with ``local_derivatives``) writes the chain rule of one parameter out with its
numbers, from the recorded graph; ``gradcheck`` compares the engine's gradient with finite
differences; ``surface`` evaluates the loss on a grid around the path; ``race`` trains several
optimizers in lockstep on one scenario. All of them read a session; none of them steps it.
"""


from gradstep.engine.analysis.chain import ChainReport, chain_report
from gradstep.engine.analysis.curvature import Curvature, curvature
from gradstep.engine.analysis.gradcheck import GradCheck, gradient_check
from gradstep.engine.analysis.race import Race, Runner
from gradstep.engine.analysis.surface import Surface, surface

__all__ = [
    "ChainReport", "chain_report", "Curvature", "curvature", "GradCheck", "gradient_check", "Race", "Runner", "Surface",
    "surface"
]
