# The toy stage 2 with RalstonSolver, a solver registered in this project's package: the
# generator integrates with it while aligning (gradients through its last steps) and when it
# paints. Needs the toy stage-1 checkpoint (configs/stage1/stage1_toy_32px.py).
#   PYTHONPATH=projects/example_solver python tools/train.py \
#       projects/example_solver/configs/stage2_toy_5shot_32px_ralston.py
_base_ = ['../../../configs/stage2/stage2_toy_5shot_32px.py']
custom_imports = dict(imports=['example_solver'], allow_failed_imports=False)
model = dict(generator=dict(solver=dict(_delete_=True, type='RalstonSolver', num_steps=8)))
