from . import files as files
from . import ingest as ingest
from . import keys as keys
from . import results as results
from . import rules as rules
from . import store as store
