"""The fixtures of the training step's extras, for ``make_fixtures.py``: learning-rate schedules,
gradient clipping and the L1 / L2 terms of the loss, each a table of network cases that
:func:`make_fixtures.network_case` trains with PyTorch. Run ``make_fixtures.py``, not this file.
"""

from __future__ import annotations

from make_fixtures import network_case

# -- learning-rate schedules ------------------------------------------------------------------
SCHEDULE_CASES = {
    # name: (optimizer kind, network, loss, (schedule kind, only the arguments the case sets))
    "step-sgd": ("sgd", "tanh", "mse", ("step", {"step_size": 7, "gamma": 0.5})),
    "step-momentum-default_gamma": ("momentum", "relu_sigmoid", "huber", ("step", {"step_size": 20})),
    "exponential-adam": ("adam", "mixed", "cross_entropy", ("exponential", {"gamma": 0.95})),
    "cosine-momentum-past_t_max": ("momentum", "tanh", "bce_logits",
                                   ("cosine", {"t_max": 20, "eta_min": 0.001})),
    "cosine-adam-default": ("adam", "relu_sigmoid", "mse", ("cosine", {"t_max": 50})),
    "warmup-adam-default": ("adam", "tanh", "cross_entropy", ("warmup", {})),
    "warmup-rmsprop": ("rmsprop", "mixed", "mae", ("warmup", {"start_factor": 0.1, "end_factor": 0.5,
                                                              "total_iters": 30})),
    "one_cycle-adam-default": ("adam", "mixed", "mse", ("one_cycle", {"max_lr": 0.05, "total_steps": 50})),
    "one_cycle-nesterov-linear-three_phase": (
        "nesterov", "tanh", "huber",
        ("one_cycle", {"max_lr": 0.2, "total_steps": 50, "pct_start": 0.25, "anneal_strategy": "linear",
                       "three_phase": True, "div_factor": 10.0, "final_div_factor": 100.0,
                       "base_momentum": 0.8, "max_momentum": 0.9})),
    "one_cycle-adamw-three_phase": ("adamw", "relu_sigmoid", "cross_entropy",
                                    ("one_cycle", {"max_lr": 0.03, "total_steps": 50, "pct_start": 0.4,
                                                   "three_phase": True})),
    "one_cycle-sgd-no_cycle": ("sgd", "mixed", "bce_logits",
                               ("one_cycle", {"max_lr": 0.5, "total_steps": 50, "cycle_momentum": False})),
    "one_cycle-amsgrad-minibatch": ("amsgrad", "tanh", "mse", ("one_cycle", {"max_lr": 0.02, "total_steps": 50,
                                                                            "pct_start": 0.1})),
    # issue 18's optimizers: one-cycle moves NAdam's and RAdam's beta1 (NAdam's mu_t follows it)
    "one_cycle-nadam": ("nadam", "mixed", "mse", ("one_cycle", {"max_lr": 0.02, "total_steps": 50})),
    "one_cycle-radam-three_phase": ("radam", "relu_sigmoid", "huber",
                                    ("one_cycle", {"max_lr": 0.03, "total_steps": 50, "three_phase": True})),
    "cosine-adadelta": ("adadelta", "tanh", "cross_entropy", ("cosine", {"t_max": 30})),
    "step-adamax": ("adamax", "tanh", "bce_logits", ("step", {"step_size": 10, "gamma": 0.5})),
}


# -- gradient clipping -----------------------------------------------------------------------
CLIP_CASES = {
    # name: (optimizer kind, network, loss, (norm | value, limit), dtype, schedule or None)
    "norm-sgd-tanh-mse": ("sgd", "tanh", "mse", ("norm", 0.1), "float64", None),
    "norm-adam-mixed-cross_entropy": ("adam", "mixed", "cross_entropy", ("norm", 0.5), "float64", None),
    "norm-momentum-relu_sigmoid-huber-minibatch": ("momentum", "relu_sigmoid", "huber", ("norm", 0.3),
                                                   "float64", None),
    "norm-nesterov-tanh-bce_logits-cosine": ("nesterov", "tanh", "bce_logits", ("norm", 0.2), "float64",
                                             ("cosine", {"t_max": 30})),
    "value-rmsprop-mixed-huber": ("rmsprop", "mixed", "huber", ("value", 0.05), "float64", None),
    "value-adamw-tanh-mse": ("adamw", "tanh", "mse", ("value", 0.01), "float64", None),
    "value-adagrad-relu_sigmoid-cross_entropy": ("adagrad", "relu_sigmoid", "cross_entropy",
                                                 ("value", 0.02), "float64", None),
    "norm-adam-relu_sigmoid-mse-float32": ("adam", "relu_sigmoid", "mse", ("norm", 0.2), "float32", None),
    "value-sgd-tanh-cross_entropy-float32": ("sgd", "tanh", "cross_entropy", ("value", 0.05), "float32", None),
    # issue 18's optimizers
    "norm-nadam-tanh-mse": ("nadam", "tanh", "mse", ("norm", 0.2), "float64", None),
    "value-adadelta-mixed-huber": ("adadelta", "mixed", "huber", ("value", 0.05), "float64", None),
    "norm-radam-relu_sigmoid-cross_entropy": ("radam", "relu_sigmoid", "cross_entropy", ("norm", 0.3), "float64",
                                              None),
    "value-adamax-tanh-mse": ("adamax", "tanh", "mse", ("value", 0.01), "float64", None),
}


# -- L1 and L2 terms of the loss --------------------------------------------------------------
PENALTY_CASES = {
    # name: (optimizer kind, network, loss, (l1, l2), hyper, dtype)
    "l1-sgd-tanh-mse": ("sgd", "tanh", "mse", (1e-3, 0.0), {}, "float64"),
    "l2-adam-mixed-cross_entropy": ("adam", "mixed", "cross_entropy", (0.0, 1e-3), {}, "float64"),
    "l1_l2-momentum-relu_sigmoid-huber": ("momentum", "relu_sigmoid", "huber", (1e-3, 1e-2), {}, "float64"),
    "l1-adamw-tanh-bce_logits-weight_decay": ("adamw", "tanh", "bce_logits", (2e-3, 0.0), {"weight_decay": 0.05},
                                              "float64"),
    "l2-rmsprop-mixed-mse-minibatch": ("rmsprop", "mixed", "mse", (0.0, 5e-3), {}, "float64"),
    "l1_l2-adam-relu_sigmoid-cross_entropy-float32": ("adam", "relu_sigmoid", "cross_entropy", (1e-3, 1e-3), {},
                                                      "float32"),
}


def _cases(table, first_seed, options):
    """``network_case`` for each row of ``table``: ``options(row)`` gives its optimizer kind,
    network, loss and further keyword arguments; a case named ``...minibatch`` trains on 40
    rows in shuffled batches of 16, the others on 24 rows at once."""
    cases = {}
    for i, (name, row) in enumerate(table.items()):
        kind, net, loss, extra = options(row)
        minibatch = "minibatch" in name
        cases[name] = network_case(kind, net, loss, seed=first_seed + i, n=40 if minibatch else 24,
                                   batch_size=16 if minibatch else 0, shuffle=minibatch, **extra)
    return cases


def schedule_cases():
    return _cases(SCHEDULE_CASES, 9000, lambda row: (*row[:3], {"hyper": {}, "schedule": row[3]}))


def clip_cases():
    return _cases(CLIP_CASES, 9500, lambda row: (*row[:3], {"hyper": {}, "clip": row[3], "dtype": row[4],
                                                            "schedule": row[5]}))


def penalty_cases():
    return _cases(PENALTY_CASES, 9700, lambda row: (*row[:3], {"penalty": row[3], "hyper": row[4],
                                                               "dtype": row[5]}))
