"""Convert Kvasir-SEG (images/*.jpg, masks/*.jpg with JPEG grey edges) to images/ + masks/.

    python tools/dataset_converters/kvasir.py RAW_DIR -o data/Kvasir-SEG [--val-fraction 0.1]
RAW_DIR is the unpacked ``Kvasir-SEG/``: ``images/``, ``masks/`` and ``kavsir_bboxes.json``
(not used). A folder holding anything else (DRIVE's ``fov/``, a converter's ``splits/`` or
``conversion.json``) is another dataset's layout, and is refused rather than converted without
what the converter does not know.
"""
from alignflow.datasets.conversion import converter_main, find_folder

KVASIR_ENTRIES = {'images', 'masks', 'kavsir_bboxes.json', 'kvasir_bboxes.json'}


def locate(raw):
    images = find_folder(raw, ['images'], 'image')
    masks = find_folder(raw, ['masks'], 'mask')
    unknown = sorted(p.name for p in raw.iterdir() if p.name not in KVASIR_ENTRIES
                     and not p.name.startswith(('.', '__MACOSX'))
                     and not p.name.lower().startswith('readme'))
    if unknown:
        raise ValueError(
            f'Kvasir-SEG: {raw} holds {", ".join(unknown)}, which Kvasir-SEG\'s download does '
            f'not (it has images/, masks/ and kavsir_bboxes.json); this is another dataset\'s '
            f'layout{" (fov/: a fundus dataset such as DRIVE)" if "fov" in unknown else ""}, '
            f'or a converted one (conversion.json): convert it with its own converter in '
            f'tools/dataset_converters/, or train on a converted folder directly')
    return images, masks, lambda stem: [stem]


if __name__ == '__main__':
    converter_main('Kvasir-SEG', locate, __doc__)
