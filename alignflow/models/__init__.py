from .adapters import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .generators import *  # noqa: F401,F403
from .velocity import *  # noqa: F401,F403
