import math

import pytest
import torch
from torch import nn

from alignflow.flow import (EulerSolver, FixedStepSolver, HeunSolver, MidpointSolver,
                            RK4Solver)
from alignflow.registry import SOLVERS

SOLVER_TYPES = [EulerSolver, MidpointSolver, HeunSolver, RK4Solver]
F64 = torch.float64


class VelocityNet(nn.Module):
    """Tiny conditional field ``v(x, t, cond)`` on flat states ``x: (B, D)``."""

    def __init__(self, dim=4, cond_dim=2, hidden=32, dropout=0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim + 1 + cond_dim, hidden), nn.Tanh(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, dim))

    def forward(self, x, t, cond):
        return self.net(torch.cat([x, t[:, None], cond], dim=1))


def _setup(dtype=torch.float32, dropout=0.0, hidden=32, batch_size=8, seed=0):
    torch.manual_seed(seed)
    net = VelocityNet(hidden=hidden, dropout=dropout).to(dtype)
    x0 = torch.randn(batch_size, 4, dtype=dtype)
    cond = torch.randn(batch_size, 2, dtype=dtype)
    weight = torch.randn(batch_size, 4, dtype=dtype)
    return net, (lambda x, t: net(x, t, cond)), x0, weight


def _param_grads(net, out, weight):
    return torch.autograd.grad((out * weight).sum(), list(net.parameters()), allow_unused=True)


def _manual_truncated(solver, velocity_fn, x0, num_steps, k):
    """Reference: full backprop through a plain loop whose state entering the last k steps
    is detached."""
    grid = torch.linspace(0, 1, num_steps + 1, dtype=x0.dtype)
    x = x0
    for i in range(num_steps):
        if i == num_steps - k:
            x = x.detach()
        x = solver.step(velocity_fn, x, grid[i].expand(x.shape[0]), grid[i + 1] - grid[i])
    return x


def _saved_bytes(fn, params):
    """Bytes of distinct non-parameter storages autograd saves while running ``fn``.

    Saved tensors stay alive until backward, so their storage addresses are unique.
    Non-reentrant checkpoint replaces the saved activations inside a checkpointed region
    by placeholders but saves the region's inputs, which are counted here.
    """
    param_ptrs = {p.untyped_storage().data_ptr() for p in params}
    storages = {}

    def pack(t):
        storage = t.untyped_storage()
        if storage.data_ptr() not in param_ptrs:
            storages[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return sum(storages.values()), out


@pytest.mark.parametrize('solver_type, order', zip(SOLVER_TYPES, [1, 2, 2, 4]))
def test_registry_build_and_order(solver_type, order):
    solver = SOLVERS.build(dict(type=solver_type.__name__, num_steps=7))
    assert type(solver) is solver_type and isinstance(solver, FixedStepSolver)
    assert solver.num_steps == 7 and solver.order == order


def test_time_grid():
    grid = FixedStepSolver.time_grid(4, 0.2, 1.0, dtype=F64)
    torch.testing.assert_close(grid, torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0], dtype=F64))
    half = FixedStepSolver.time_grid(10, dtype=torch.bfloat16)
    assert half.shape == (11,) and half.dtype == torch.bfloat16
    assert half[0] == 0 and half[-1] == 1


def test_euler_exact_on_constant_field():
    x0 = torch.randn(3, 2, 5, dtype=F64)
    c = torch.randn(2, 5, dtype=F64)
    out = EulerSolver(num_steps=3).sample(lambda x, t: c.expand_as(x), x0, t0=0.25, t1=0.9)
    torch.testing.assert_close(out, x0 + 0.65 * c)


@pytest.mark.parametrize('solver_type', [MidpointSolver, HeunSolver, RK4Solver])
def test_second_order_solvers_exact_on_linear_in_t(solver_type):
    x0 = torch.randn(3, 5, dtype=F64)
    a, b = torch.randn(5, dtype=F64), torch.randn(5, dtype=F64)
    out = solver_type(num_steps=3).sample(lambda x, t: a + b * t[:, None], x0, t0=0.2, t1=0.9)
    torch.testing.assert_close(out, x0 + a * 0.7 + b * (0.9**2 - 0.2**2) / 2)


def test_rk4_exact_on_cubic_in_t():
    x0 = torch.randn(3, 5, dtype=F64)
    c = torch.randn(4, 5, dtype=F64)

    def velocity(x, t):
        return sum(c[p] * t[:, None]**p for p in range(4))

    out = RK4Solver(num_steps=2).sample(velocity, x0, t0=-0.5, t1=1.0)
    expected = x0 + sum(c[p] * (1.0**(p + 1) - (-0.5)**(p + 1)) / (p + 1) for p in range(4))
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize('solver_type', SOLVER_TYPES)
def test_order_of_convergence(solver_type):
    """dx/dt = x cos(t), x(0) = c  =>  x(t) = c exp(sin t)."""
    x0 = torch.tensor([[1.0], [-0.5], [2.0]], dtype=F64)
    exact = x0 * math.exp(math.sin(2.0))
    errors = [(solver_type().sample(lambda x, t: x * torch.cos(t)[:, None], x0, num_steps=n,
                                    t1=2.0) - exact).abs().max().item() for n in (64, 128)]
    observed = math.log2(errors[0] / errors[1])
    assert abs(observed - solver_type.order) < 0.3, (errors, observed)


@pytest.mark.parametrize('solver_type', SOLVER_TYPES)
def test_return_trajectory(solver_type):
    x0 = torch.randn(2, 3, 4, 4, requires_grad=True)
    out, traj = solver_type().sample(lambda x, t: -x, x0, num_steps=5, return_trajectory=True)
    assert traj.shape == (6, 2, 3, 4, 4) and not traj.requires_grad
    torch.testing.assert_close(traj[0], x0.detach())
    torch.testing.assert_close(traj[-1], out.detach())
    assert out.requires_grad


def test_velocity_fn_receives_batched_time_in_state_dtype():
    seen = []

    def velocity(x, t):
        seen.append((t.shape, t.dtype, t.device))
        return -x

    for dtype in (torch.float16, torch.bfloat16, torch.float32, F64):
        out = HeunSolver(num_steps=8).sample(velocity, torch.ones(3, 2, dtype=dtype))
        assert out.dtype == dtype
        torch.testing.assert_close(out.double(), torch.full((3, 2), math.exp(-1), dtype=F64),
                                   rtol=0, atol=2e-2)
    assert set(seen) == {((3,), d, torch.device('cpu'))
                         for d in (torch.float16, torch.bfloat16, torch.float32, F64)}


@pytest.mark.parametrize('bad', [-1, 6, 1.5, '2'])
def test_bad_grad_last_k_raises(bad):
    with pytest.raises(ValueError, match='grad_last_k'):
        EulerSolver().sample(lambda x, t: x, torch.zeros(1, 1), num_steps=5, grad_last_k=bad)


def test_bad_num_steps_raises():
    with pytest.raises(ValueError, match='num_steps'):
        EulerSolver(num_steps=0)
    with pytest.raises(ValueError, match='num_steps'):
        EulerSolver().sample(lambda x, t: x, torch.zeros(1, 1), num_steps=0)


@pytest.mark.parametrize('solver_type', SOLVER_TYPES)
@pytest.mark.parametrize('k', [1, 3])
def test_truncated_backprop_matches_detached_manual_loop(solver_type, k):
    net, velocity, x0, weight = _setup(dtype=F64)
    solver, n = solver_type(), 5

    truncated = _param_grads(net, solver.sample(velocity, x0, num_steps=n, grad_last_k=k), weight)
    reference = _param_grads(net, _manual_truncated(solver, velocity, x0, n, k), weight)
    full = _param_grads(net, solver.sample(velocity, x0, num_steps=n), weight)

    for g, r in zip(truncated, reference):
        torch.testing.assert_close(g, r)
    assert not all(torch.allclose(g, f, rtol=1e-3, atol=0) for g, f in zip(truncated, full))


def test_grad_last_k_endpoints():
    net, velocity, x0, weight = _setup(dtype=F64)
    x0.requires_grad_(True)
    solver, n = RK4Solver(), 4

    assert not solver.sample(velocity, x0, num_steps=n, grad_last_k=0).requires_grad

    out = solver.sample(velocity, x0, num_steps=n, grad_last_k=n - 1)
    assert torch.autograd.grad(out.sum(), x0, allow_unused=True)[0] is None

    full = solver.sample(velocity, x0, num_steps=n)
    all_kept = solver.sample(velocity, x0, num_steps=n, grad_last_k=n)
    params = [x0, *net.parameters()]
    g_full = torch.autograd.grad((full * weight).sum(), params)
    g_all = torch.autograd.grad((all_kept * weight).sum(), params)
    for a, b in zip(g_all, g_full):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('solver_type', [HeunSolver, RK4Solver])
@pytest.mark.parametrize('k', [None, 3])
def test_checkpoint_keeps_values_and_gradients(solver_type, k):
    # Dropout checks that recomputation replays the forward's random masks.
    net, velocity, x0, weight = _setup(dropout=0.2)
    outs, grads = [], []
    for checkpoint in (False, True):
        torch.manual_seed(123)
        out = solver_type().sample(velocity, x0, num_steps=4, grad_last_k=k,
                                   checkpoint=checkpoint)
        outs.append(out)
        grads.append(_param_grads(net, out, weight))
    torch.testing.assert_close(outs[1], outs[0])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


def test_checkpoint_under_no_grad():
    net, velocity, x0, _ = _setup()
    with torch.no_grad():
        out = RK4Solver().sample(velocity, x0, num_steps=3, checkpoint=True)
    assert not out.requires_grad
    torch.testing.assert_close(out, RK4Solver().sample(velocity, x0, num_steps=3).detach())


def test_checkpoint_reduces_saved_activations():
    net, velocity, x0, _ = _setup(hidden=256, batch_size=16)
    params, solver, n = list(net.parameters()), RK4Solver(), 8

    def run(**kwargs):
        return _saved_bytes(lambda: solver.sample(velocity, x0, num_steps=n, **kwargs), params)[0]

    one_step = run(grad_last_k=1)
    full = run()
    full_ckpt = run(checkpoint=True)
    one_step_ckpt = run(grad_last_k=1, checkpoint=True)

    assert one_step > 0
    assert full > 0.9 * n * one_step  # without checkpointing memory grows with kept steps
    assert full_ckpt < 0.05 * n * one_step
    assert full_ckpt < one_step  # all N checkpointed steps cost less than one plain step
    # What remains is each step's input state plus the (shared) time grid.
    assert one_step_ckpt <= x0.nbytes + 512
    assert full_ckpt <= n * x0.nbytes + 512


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
@pytest.mark.parametrize('solver_type', SOLVER_TYPES)
def test_cuda(solver_type):
    net, _, x0, weight = _setup()
    net, x0, weight = net.cuda(), x0.cuda(), weight.cuda()
    cond = torch.zeros(x0.shape[0], 2, device='cuda')
    out, traj = solver_type().sample(lambda x, t: net(x, t, cond), x0, num_steps=3,
                                     grad_last_k=2, checkpoint=True, return_trajectory=True)
    assert out.device == traj.device == x0.device
    assert all(g is not None for g in _param_grads(net, out, weight))
