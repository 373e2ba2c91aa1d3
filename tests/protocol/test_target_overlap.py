"""A protocol whose target folder holds a source image is refused before stage 1 trains."""
import shutil

import pytest

from alignflow.datasets.overlap import OverlapError
from alignflow.protocol.spec import check_protocol


def test_a_source_image_in_the_target_folder_is_refused(toy_protocol, folders, tmp_path):
    source, target = folders
    check_protocol(toy_protocol())  # the toy domains share no image
    mixed = shutil.copytree(target, tmp_path / 'target')
    leaked = sorted((source / 'images').iterdir())[3]
    shutil.copy(leaked, mixed / 'images' / 'ward_b_0001.png')
    with pytest.raises(OverlapError, match=rf'ward_b_0001\.png = .*{leaked.name}'):
        check_protocol(toy_protocol(**{'targets.0.folder': str(mixed)}))
