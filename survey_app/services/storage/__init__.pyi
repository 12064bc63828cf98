from . import buckets as buckets
from . import bulkload as bulkload
from . import daystats as daystats
from . import engine as engine
from . import generations as generations
from . import schema as schema
