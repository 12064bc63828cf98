from . import (
    charts as charts,
)
from . import (
    cli as cli,
)
from . import (
    content as content,
)
from . import (
    coverage as coverage,
)
from . import (
    docx as docx,
)
from . import (
    engine as engine,
)
from . import (
    errors as errors,
)
from . import (
    formatting as formatting,
)
from . import (
    jobs as jobs,
)
from . import (
    letterhead as letterhead,
)
from . import (
    model as model,
)
from . import (
    pdf as pdf,
)
from . import (
    spec as spec,
)
from . import (
    writers as writers,
)
from . import (
    xlsx as xlsx,
)
from .engine import (
    CHART_KEYS as CHART_KEYS,
)
from .engine import (
    FORMATS as FORMATS,
)
from .engine import (
    Progress as Progress,
)
from .engine import (
    build as build,
)
from .engine import (
    charts_svg as charts_svg,
)
from .engine import (
    write as write,
)
from .engine import (
    write_pack as write_pack,
)
from .errors import N_ as N_
from .errors import ReportError as ReportError
from .letterhead import Letterhead as Letterhead
from .model import (
    Column as Column,
)
from .model import (
    CommentGroup as CommentGroup,
)
from .model import (
    Profile as Profile,
)
from .model import (
    Report as Report,
)
from .model import (
    Summary as Summary,
)
from .model import (
    Table as Table,
)
from .model import (
    TrendPoint as TrendPoint,
)
from .model import (
    UnitBar as UnitBar,
)
from .spec import ReportSpec as ReportSpec
