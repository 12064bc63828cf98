from . import demo as demo
