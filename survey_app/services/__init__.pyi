from . import demo as demo
from . import queue as queue
from . import tasks as tasks
