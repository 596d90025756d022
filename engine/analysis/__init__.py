"""Looking at a step from outside the training loop: the chain rule, the gradient check, the
loss surface and races between optimizers.

``curvature`` finds the loss Hessian's largest eigenvalue and the learning rate 2 / lambda_max
that plain gradient descent must stay under; ``chain`` (with ``local_derivatives``) writes the chain rule of one parameter out with its
numbers, from the recorded graph; ``gradcheck`` compares the engine's gradient with finite
differences; ``loss_graph`` hands the graph of a step's loss, each node with its value and
gradient, to the graph view, and ``neurons`` each hidden unit's output at rows of inputs;
``histograms`` counts each layer's weights, gradients and updates over the steps the history keeps;
``surface`` evaluates the loss on a grid around the path; ``race`` trains several
optimizers in lockstep on one scenario. All of them read a session; none of them steps it.
"""


from gradstep.engine.analysis.chain import ChainReport, chain_report
from gradstep.engine.analysis.curvature import Curvature, Stopped, curvature
from gradstep.engine.analysis.gradcheck import GradCheck, gradient_check
from gradstep.engine.analysis.loss_graph import LossGraph, loss_graph
from gradstep.engine.analysis.neurons import HiddenLayer, hidden_units
from gradstep.engine.analysis.race import Race, Runner
from gradstep.engine.analysis.surface import Surface, surface

__all__ = [
    "ChainReport", "chain_report", "Curvature", "Stopped", "curvature", "GradCheck", "gradient_check", "LossGraph", "loss_graph", "HiddenLayer", "hidden_units", "Race", "Runner", "Surface",
    "surface"
]
