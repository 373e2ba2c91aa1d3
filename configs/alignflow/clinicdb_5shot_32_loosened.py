# The lever study's loosened setting (docs/benchmarks.md, "Levers against the C2ST"): the default
# clinicdb_5shot_32.py with every weight trained, without the mask-effect anchor and without the
# diversity guard, i.e. clinicdb_5shot_32_conservative.py with the flow-matching regulariser off,
# a 10x weaker anchor, 3x the learning rate and the budget, and the stopping rule off.
_base_ = ['./clinicdb_5shot_32.py']
model = dict(trainable='all', losses=[dict(type='Stage1AnchorLoss', loss_weight=0.1)],
             reward=dict(diversity_guard=None))
