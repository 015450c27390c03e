"""Every ModelArts error code the emulator answers with, named once.

The names say when the code is used; the wording and HTTP status come from the catalog
(``schemas/error-catalog.json``), and a test checks that each code here is listed there.
"""

from __future__ import annotations

INTERNAL_ERROR = "ModelArts.0010"
FORBIDDEN = "ModelArts.0108"

# Authentication (tokens and AK/SK signatures)
NO_TOKEN = "ModelArts.0201"
TOKEN_EXPIRED = "ModelArts.0202"
TOKEN_INVALID = "ModelArts.0203"
BAD_AUTHORIZATION = "ModelArts.0206"
SIGNATURE_CHECK_FAILED = "ModelArts.0208"
PROJECT_MISMATCH = "ModelArts.0210"
NO_PROJECT_IN_TOKEN = "ModelArts.0212"
UNKNOWN_ACCESS_KEY = "ModelArts.3801"

# Request syntax and shape
BODY_TOO_LARGE = "ModelArts.4104"
MALFORMED_JSON = "ModelArts.4105"
INVALID_REQUEST = "ModelArts.4200"
EMPTY_REQUEST = "ModelArts.4202"
API_MISSING = "ModelArts.4204"
# The catalog lists 4205 under two statuses: 408 for a body that never arrives, 400 for an
# OBS path that names a bucket where a folder inside it is required.
BODY_TIMEOUT = "ModelArts.4205"
SUBDIRECTORY_REQUIRED = "ModelArts.4205"

# OBS paths
BUCKET_MISSING = "ModelArts.4311"
PATH_MISSING = "ModelArts.4312"
INVALID_PATH = "ModelArts.4313"
OBS_ACCESS = "ModelArts.4314"  # a bucket of another account (strict tenancy)
DOUBLE_SLASH = "ModelArts.4315"

# Datasets, samples, models
SAMPLE_MISSING = "ModelArts.4338"
DATASET_MISSING = "ModelArts.4352"
MODEL_MISSING = "ModelArts.3001"
INVALID_MODEL = "ModelArts.4934"

# Intelligent tasks
NO_LABELED_SAMPLES = "ModelArts.4405"
LABEL_NOT_FOUND = "ModelArts.4410"
TOO_FEW_PER_LABEL = "ModelArts.4406"
NO_UNLABELED_SAMPLES = "ModelArts.4407"
TOO_MANY_RUNNING = "ModelArts.4409"
TASK_MISSING = "ModelArts.4612"
TOO_MANY_GROUPS = "ModelArts.4622"
UNSUPPORTED_DATASET = "ModelArts.4820"
KMS_BUCKET = "ModelArts.4826"
TASK_STOPPED = "ModelArts.4393"
TASK_FINISHED = "ModelArts.2796"
