"""AlignFlow registries.

OpenMMLab registries are children of mmseg's nodes (themselves children of mmengine's roots),
so a config under ``default_scope='alignflow'`` finds our modules first, then mmseg's and
mmengine's (segmentors, transforms, IoUMetric, hooks ...). The flow-matching and alignment
registries are roots of their own.
"""
from mmengine.registry import Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import EVALUATOR as MMSEG_EVALUATOR
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import LOG_PROCESSORS as MMSEG_LOG_PROCESSORS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMSEG_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import RUNNERS as MMSEG_RUNNERS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

RUNNERS = Registry('runner', parent=MMSEG_RUNNERS)
LOOPS = Registry('loop', parent=MMSEG_LOOPS, locations=['alignflow.engine'])
HOOKS = Registry('hook', parent=MMSEG_HOOKS, locations=['alignflow.engine'])
LOG_PROCESSORS = Registry('log_processor', parent=MMSEG_LOG_PROCESSORS)

DATASETS = Registry('dataset', parent=MMSEG_DATASETS, locations=['alignflow.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMSEG_DATA_SAMPLERS)
TRANSFORMS = Registry('transform', parent=MMSEG_TRANSFORMS, locations=['alignflow.datasets'])

MODELS = Registry('model', parent=MMSEG_MODELS, locations=['alignflow.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMSEG_MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMSEG_WEIGHT_INITIALIZERS)

OPTIMIZERS = Registry('optimizer', parent=MMSEG_OPTIMIZERS)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMSEG_OPTIM_WRAPPERS,
                          locations=['alignflow.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMSEG_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMSEG_PARAM_SCHEDULERS)

METRICS = Registry('metric', parent=MMSEG_METRICS, locations=['alignflow.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMSEG_EVALUATOR, locations=['alignflow.evaluation'])

VISUALIZERS = Registry('visualizer', parent=MMSEG_VISUALIZERS)
VISBACKENDS = Registry('vis_backend', parent=MMSEG_VISBACKENDS)

# Flow matching: probability paths x_t = a(t) x0 + b(t) x1, training-time samplers, ODE solvers.
PATHS = Registry('probability path', scope='alignflow', locations=['alignflow.flow'])
TIME_SAMPLERS = Registry('time sampler', scope='alignflow', locations=['alignflow.flow'])
SOLVERS = Registry('ode solver', scope='alignflow', locations=['alignflow.flow'])

# Stage 2 and mask generation (filled by later modules).
REWARDS = Registry('reward', scope='alignflow', locations=['alignflow.rewards'])
LOSSES = Registry('alignment loss', scope='alignflow', locations=['alignflow.losses'])
FEATURE_EXTRACTORS = Registry(
    'feature extractor', scope='alignflow', locations=['alignflow.features'])
MASK_POSTPROCESSORS = Registry(
    'mask postprocessor', scope='alignflow', locations=['alignflow.masks'])
