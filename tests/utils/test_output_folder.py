"""Tools that write pairs claim their folder: never a data folder, never a silent mixture."""
import pytest

from alignflow.utils.output_folder import MARKER_NAME, claim_output_folder, data_folders_of

RUN = dict(config='configs/stage1/stage1_toy_32px.py', checkpoint='iter_6.pth')


def dataset(folder):
    for sub in ('images', 'masks'):
        (folder / sub).mkdir(parents=True)
        (folder / sub / 'case1.png').write_bytes(b'real')
    return folder


def test_a_folder_the_run_reads_is_refused_even_with_overwrite(tmp_path):
    data = dataset(tmp_path / 'Kvasir')
    cfg = dict(test_dataloader=dict(dataset=dict(data_root=str(data))))
    for out in (data, data / 'images', tmp_path):
        with pytest.raises(ValueError, match='which this run reads as data'):
            claim_output_folder(out, 'test', RUN, data_folders_of(cfg), overwrite=True)
    assert (data / 'images' / 'case1.png').read_bytes() == b'real'
    assert not (data / MARKER_NAME).exists()


def test_foreign_files_need_overwrite_and_are_kept(tmp_path):
    data = dataset(tmp_path / 'someone_elses')
    with pytest.raises(FileExistsError, match='did not write.*--overwrite'):
        claim_output_folder(data, 'test', RUN)
    claim_output_folder(data, 'test', RUN, overwrite=True)
    assert (data / 'images' / 'case1.png').read_bytes() == b'real'


def test_the_same_run_may_write_again_another_run_may_not_mix(tmp_path):
    out = tmp_path / 'synthetic'
    claim_output_folder(out, 'test', RUN)
    (out / 'images').mkdir()
    (out / 'images' / 'a.png').write_bytes(b'generated')
    claim_output_folder(out, 'test', RUN)  # a rerun or a resumed run
    other = dict(RUN, checkpoint='iter_12.pth')
    with pytest.raises(FileExistsError, match='for another run'):
        claim_output_folder(out, 'test', other)
    claim_output_folder(out, 'test', other, overwrite=True)
    assert not (out / 'images').exists()  # the other run's pairs are gone, not mixed


def test_data_folders_are_found_wherever_a_config_names_them(tmp_path):
    data, real, refs = (dataset(tmp_path / n) for n in ('source', 'target', 'refs'))
    cfg = dict(train_dataloader=dict(dataset=dict(data_root=str(data))),
               val_evaluator=[dict(type='FlowMatchingLossMetric'),
                              dict(real=[str(real / 'images' / 'case1.png')])],
               reference_split=dict(folder=str(refs)), work_dir='does/not/exist')
    assert data_folders_of(cfg) == [data, real / 'images', refs]
