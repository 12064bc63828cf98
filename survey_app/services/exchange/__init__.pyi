from . import answerfile as answerfile
from . import csvfile as csvfile
from . import filecheck as filecheck
from . import importer as importer
from . import importread as importread
from . import reimport as reimport
from . import template as template
from . import uploads as uploads
