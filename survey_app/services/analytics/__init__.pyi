from . import (
    charts as charts,
)
from . import (
    integrity as integrity,
)
from . import (
    office as office,
)
from . import (
    output as output,
)
from . import (
    scores as scores,
)
from . import (
    staff as staff,
)
