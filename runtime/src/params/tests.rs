//! Tests of the parameter layout: offsets, initialisation, and safetensors round trips and errors.

use super::*;
use rand_xoshiro::rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn layout() -> Layout {
    Layout::new()
        .tensor("layer1.weight", &[3, 2])
        .unwrap()
        .tensor("layer1.bias", &[3])
        .unwrap()
        .tensor("scale", &[])
        .unwrap()
}

fn params(layout: &Layout) -> Vec<f64> {
    (0..layout.len())
        .map(|i| (0.7 * i as f64).sin() / 3.0)
        .collect()
}

#[test]
fn matrices_round_trip_through_the_flat_vector_and_bad_shapes_are_named() {
    let layout = Layout::new()
        .tensor("w", &[3, 2])
        .unwrap()
        .tensor("cube", &[2, 2, 2])
        .unwrap();
    let theta: Vec<f64> = (0..layout.len()).map(|i| i as f64).collect();
    let w = layout.matrix(&theta, "w").unwrap();
    // Row-major [3, 2]: w[(r, c)] = theta[2 r + c].
    for r in 0..3 {
        for c in 0..2 {
            assert_eq!(w[(r, c)], (2 * r + c) as f64);
        }
    }
    let mut back = layout.zeros();
    layout.accumulate(&mut back, "w", &w).unwrap();
    layout.accumulate(&mut back, "w", &w).unwrap();
    assert_eq!(
        &back[..6],
        &theta[..6].iter().map(|v| 2.0 * v).collect::<Vec<_>>()[..]
    );
    assert!(matches!(
        layout.matrix(&theta, "cube"),
        Err(ParamsError::NotAMatrix { .. })
    ));
    let mut into = nalgebra::DMatrix::from_element(3, 2, -1.0);
    layout.read_matrix(&theta, "w", &mut into).unwrap();
    assert_eq!(into, w);
    let mut wrong = nalgebra::DMatrix::from_element(2, 3, 0.0);
    assert!(matches!(
        layout.read_matrix(&theta, "w", &mut wrong),
        Err(ParamsError::MatrixShape {
            rows: 2,
            cols: 3,
            ..
        })
    ));
    let err = layout
        .accumulate(&mut back, "w", &w.transpose())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 2 x 3 matrix does not fit tensor `w` of shape [3, 2]"
    );
    assert!(matches!(
        layout.matrix(&theta[1..], "w"),
        Err(ParamsError::Input(InputError::WrongLength { .. }))
    ));
}

#[test]
fn offsets_views_and_fill_follow_the_order_of_the_layout() {
    let l = layout();
    assert_eq!(l.len(), 10);
    assert_eq!(l.range("layer1.weight").unwrap(), 0..6);
    assert_eq!(l.range("layer1.bias").unwrap(), 6..9);
    assert_eq!(l.range("scale").unwrap(), 9..10);
    let mut theta = l.zeros();
    l.fill(&mut theta, "layer1.weight", |i| (10 * i[0] + i[1]) as f64)
        .unwrap();
    l.fill(&mut theta, "scale", |i| i.len() as f64 + 0.5)
        .unwrap();
    assert_eq!(
        theta,
        [0.0, 1.0, 10.0, 11.0, 20.0, 21.0, 0.0, 0.0, 0.0, 0.5]
    );
    l.view_mut(&mut theta, "layer1.bias").unwrap()[2] = 4.0;
    assert_eq!(l.view(&theta, "layer1.bias").unwrap(), &[0.0, 0.0, 4.0]);
}

#[test]
fn layout_mistakes_are_named() {
    assert!(matches!(
        layout().tensor("scale", &[2]),
        Err(ParamsError::DuplicateName { name }) if name == "scale"
    ));
    assert!(matches!(
        Layout::new().tensor("", &[2]),
        Err(ParamsError::EmptyName)
    ));
    let l = layout();
    assert!(matches!(
        l.view(&l.zeros(), "bias"),
        Err(ParamsError::UnknownTensor { name }) if name == "bias"
    ));
    assert!(matches!(
        l.view(&[0.0; 3], "scale"),
        Err(ParamsError::Input(InputError::WrongLength {
            what: "parameter vector",
            expected: 10,
            found: 3
        }))
    ));
    let mut bad = l.zeros();
    bad[7] = f64::NAN;
    assert!(matches!(
        l.to_safetensors(&bad),
        Err(ParamsError::NonFinite { name, index: 1, .. }) if name == "layer1.bias"
    ));
}

#[test]
fn glorot_uniform_is_seeded_and_bounded() {
    let l = layout();
    let seeded = |seed| Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut a, mut b) = (l.zeros(), l.zeros());
    l.glorot_uniform(&mut a, "layer1.weight", &mut seeded(3))
        .unwrap();
    l.glorot_uniform(&mut b, "layer1.weight", &mut seeded(3))
        .unwrap();
    assert_eq!(a, b);
    let limit = (6.0_f64 / 5.0).sqrt();
    assert!(a[..6].iter().all(|w| w.abs() <= limit && *w != 0.0));
    assert!(a[6..].iter().all(|w| *w == 0.0));
    l.glorot_uniform(&mut b, "layer1.weight", &mut seeded(4))
        .unwrap();
    assert_ne!(a, b);
    // Draws spread over the whole interval (a generator stuck near 0.5 would not).
    let mut big = Layout::new().tensor("w", &[100, 100]).unwrap().zeros();
    let wide = Layout::new().tensor("w", &[100, 100]).unwrap();
    wide.glorot_uniform(&mut big, "w", &mut seeded(5)).unwrap();
    let limit = (6.0_f64 / 200.0).sqrt();
    let mean = big.iter().sum::<f64>() / big.len() as f64;
    let below = big.iter().filter(|w| **w < -0.9 * limit).count();
    let above = big.iter().filter(|w| **w > 0.9 * limit).count();
    assert!(mean.abs() < 0.05 * limit, "mean {mean}");
    assert!(below > 300 && above > 300, "tails {below} {above}");
}

#[test]
fn safetensors_round_trip_is_exact_in_memory_and_on_disk() {
    let l = layout();
    let theta = params(&l);
    let bytes = l.to_safetensors(&theta).unwrap();
    assert_eq!(l.from_safetensors(&bytes).unwrap(), theta);
    // The file is ordinary safetensors: names, shapes, F64 little-endian.
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let w = file.tensor("layer1.weight").unwrap();
    assert_eq!((w.dtype(), w.shape()), (Dtype::F64, &[3, 2][..]));
    assert_eq!(w.data()[..8], theta[0].to_le_bytes());
    let path = std::env::temp_dir().join(format!(
        "tapeless-params-{}.safetensors",
        std::process::id()
    ));
    l.save(&theta, &path).unwrap();
    let loaded = l.load(&path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.unwrap(), theta);
}

/// A file written by PyTorch (`safetensors.torch.save_file` of an `nn.Linear(3, 2)` in
/// float64; its tensors in another order than the layout's) loads, and ours reads back the
/// same bytes' values.
#[test]
fn a_file_written_by_pytorch_loads() {
    let bytes = include_bytes!("../../tests/data/torch_linear.safetensors");
    let l = Layout::new()
        .tensor("dense.weight", &[2, 3])
        .unwrap()
        .tensor("dense.bias", &[2])
        .unwrap();
    let theta = l.from_safetensors(bytes).unwrap();
    assert_eq!(
        theta,
        [0.5, -1.25, 2.0, 3.0, 0.125, -0.75, 1.0 / 3.0, -2.0 / 7.0]
    );
    assert_eq!(
        l.from_safetensors(&l.to_safetensors(&theta).unwrap())
            .unwrap(),
        theta
    );
}

/// Loads `bytes` written to a file of its own.
fn load_bytes(layout: &Layout, name: &str, bytes: &[u8]) -> Result<Vec<f64>, ParamsError> {
    let path = std::env::temp_dir().join(format!(
        "tapeless-params-{name}-{}.safetensors",
        std::process::id()
    ));
    std::fs::write(&path, bytes).unwrap();
    let loaded = layout.load(&path);
    std::fs::remove_file(&path).unwrap();
    loaded
}

#[test]
fn a_file_of_another_format_is_not_safetensors_rather_than_truncated() {
    let l = layout();
    // A text file: its first eight bytes read as a header length of 2338328219631577212.
    let text = b"This is a text file, not a parameter file.\nIt has two lines.\n";
    let err = load_bytes(&l, "text", text).unwrap_err();
    assert!(
        matches!(&err, ParamsError::NotSafetensors { detail } if detail.contains("header length of")),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with("the parameter file is not a safetensors file: its first eight bytes"));
    // Tiny garbage: a small header length, then no JSON.
    let garbage = [3, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x17];
    let err = load_bytes(&l, "garbage", &garbage).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the parameter file is not a safetensors file: its header starts with byte 0xff, not with `{` as a JSON object does; save parameters with `Layout::save` (or `safetensors.torch.save_file`)"
    );
    // A header that starts as JSON and is not: not safetensors either.
    let mut bad_json = 4_u64.to_le_bytes().to_vec();
    bad_json.extend_from_slice(b"{no}");
    let err = load_bytes(&l, "bad-json", &bad_json).unwrap_err();
    assert!(
        matches!(&err, ParamsError::NotSafetensors { detail } if detail.starts_with("its header is not JSON")),
        "{err:?}"
    );
    // A safetensors file cut in its header is still truncated, not another format.
    let bytes = l.to_safetensors(&params(&l)).unwrap();
    assert!(matches!(
        load_bytes(&l, "cut", &bytes[..12]),
        Err(ParamsError::Truncated { found: 12, .. })
    ));
}

#[test]
fn every_bad_file_is_a_named_error() {
    let l = layout();
    let theta = params(&l);
    let bytes = l.to_safetensors(&theta).unwrap();
    // Cut anywhere: in the length prefix, in the header, in the data.
    for cut in [0, 5, 8, 20, bytes.len() - 9, bytes.len() - 1] {
        match l.from_safetensors(&bytes[..cut]) {
            Err(ParamsError::Truncated { needed, found }) => {
                assert_eq!(found, cut);
                assert!(needed > cut);
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        l.from_safetensors(&longer),
        Err(ParamsError::Corrupt { .. })
    ));
    // A header that is not JSON.
    let mut garbled = bytes.clone();
    garbled[9] = b'#';
    assert!(matches!(
        l.from_safetensors(&garbled),
        Err(ParamsError::NotSafetensors { .. })
    ));
    // A header length beyond any file.
    let mut huge = bytes.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        l.from_safetensors(&huge),
        Err(ParamsError::NotSafetensors { .. })
    ));
    // Another layout: a missing, an extra, a reshaped tensor.
    let fewer = Layout::new()
        .tensor("layer1.weight", &[3, 2])
        .unwrap()
        .tensor("layer1.bias", &[3])
        .unwrap();
    assert!(matches!(
        fewer.from_safetensors(&bytes),
        Err(ParamsError::UnexpectedTensor { name }) if name == "scale"
    ));
    let more = layout().tensor("extra", &[1]).unwrap();
    assert!(matches!(
        more.from_safetensors(&bytes),
        Err(ParamsError::MissingTensor { name }) if name == "extra"
    ));
    let reshaped = Layout::new()
        .tensor("layer1.weight", &[2, 3])
        .unwrap()
        .tensor("layer1.bias", &[3])
        .unwrap()
        .tensor("scale", &[])
        .unwrap();
    assert!(matches!(
        reshaped.from_safetensors(&bytes),
        Err(ParamsError::WrongShape { name, expected, found })
            if name == "layer1.weight" && expected == [2, 3] && found == [3, 2]
    ));
    // Another dtype: the same bytes read as F32 tensors of twice the length.
    let f32_bytes: Vec<u8> = [1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let view = safetensors::tensor::TensorView::new(Dtype::F32, vec![2], &f32_bytes).unwrap();
    let file = safetensors::serialize([("scale", view)], None).unwrap();
    let scalar = Layout::new().tensor("scale", &[2]).unwrap();
    assert!(matches!(
        scalar.from_safetensors(&file),
        Err(ParamsError::WrongDtype { name, found }) if name == "scale" && found == "F32"
    ));
    // A NaN inside the data.
    let mut nan = bytes.clone();
    let start = bytes.len() - 8;
    nan[start..].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(
        l.from_safetensors(&nan),
        Err(ParamsError::NonFinite { .. })
    ));
    // A file that is not there.
    assert!(matches!(
        l.load("/nonexistent/params.safetensors"),
        Err(ParamsError::Io { .. })
    ));
}
