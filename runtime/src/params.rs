//! Parameters of a learned model as one flat vector: a named [`Layout`] of tensors (name and
//! shape) gives each tensor its range in one `Vec<f64>`, which is what optimisers
//! ([`crate::optim`]) and hypergradients ([`crate::hyper`]) work on, while the user's
//! `#[differentiable]` network reads its weights at the layout's offsets.
//!
//! The layout also initialises (a formula of the index, or Glorot-uniform from any generator of
//! the [rand](https://docs.rs/rand) family, seeded for reproducible runs) and saves and loads the parameters in the
//! [safetensors](https://huggingface.co/docs/safetensors) format: one little-endian `F64` tensor
//! per entry, with the layout's names and shapes, so `safetensors.torch.load_file` opens the file
//! in PyTorch. Loading checks names, shapes and dtype; a file of another format, or a truncated
//! or corrupt one, is a [`ParamsError`] naming the problem, never a panic.
//!
//! ```
//! use tapeless_runtime::params::{Layout, ParamsError};
//! // A dense layer 3 -> 2 in PyTorch's convention: weight [out, in], then bias [out].
//! let layout = Layout::new()
//!     .tensor("dense.weight", &[2, 3])?
//!     .tensor("dense.bias", &[2])?;
//! assert_eq!(layout.len(), 8);
//! let mut theta = layout.zeros();
//! layout.fill(&mut theta, "dense.weight", |index| (index[0] * 3 + index[1]) as f64)?;
//! assert_eq!(layout.view(&theta, "dense.weight")?, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
//! assert_eq!(layout.range("dense.bias")?, 6..8);
//!
//! let bytes = layout.to_safetensors(&theta)?;
//! assert_eq!(layout.from_safetensors(&bytes)?, theta);
//! // A file cut short is an error that says so.
//! assert!(matches!(
//!     layout.from_safetensors(&bytes[..bytes.len() - 1]),
//!     Err(ParamsError::Truncated { .. })
//! ));
//! # Ok::<(), ParamsError>(())
//! ```

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::InputError;

use safetensors::{Dtype, SafeTensorError, SafeTensors};
use thiserror::Error;

/// The side of the square tiles in which [`Layout::matrix`] and [`Layout::accumulate`]
/// transpose between the layout's rows and nalgebra's columns (measured best on a 512 x 512
/// weight: 8 entries of `f64` are one cache line).
const TRANSPOSE_TILE: usize = 8;

/// What went wrong with a layout, a parameter vector or a parameter file.
#[derive(Debug, Error)]
pub enum ParamsError {
    /// Two tensors of a layout have the same name.
    #[error("the layout already has a tensor named `{name}`")]
    DuplicateName {
        /// The repeated name.
        name: String,
    },
    /// A tensor name that is empty.
    #[error("a tensor name must not be empty")]
    EmptyName,
    /// The layout has no tensor of this name.
    #[error("the layout has no tensor named `{name}`")]
    UnknownTensor {
        /// The name asked for.
        name: String,
    },
    /// A parameter vector whose length is not the layout's
    /// ([`InputError::WrongLength`] with `what: "parameter vector"`, `expected` the layout's
    /// total number of parameters).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A parameter that is infinite or NaN (in a vector to save, or in a loaded file). Not an
    /// [`InputError::NonFinite`]: it names the tensor, whose name is the layout's, known at
    /// run time.
    #[error("`{name}`[{index}] is not finite ({value})")]
    NonFinite {
        /// The tensor.
        name: String,
        /// The flat index inside the tensor.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file ends before the data its header describes.
    #[error("the parameter file is truncated: it has {found} bytes, its header needs {needed}")]
    Truncated {
        /// The bytes the header describes (at least).
        needed: usize,
        /// The file's length.
        found: usize,
    },
    /// The file is not a safetensors file at all: its first eight bytes give a header length
    /// no safetensors file has, or its header is not a JSON object (a text file, another
    /// format, a file of zeros).
    #[error("the parameter file is not a safetensors file: {detail}; save parameters with `Layout::save` (or `safetensors.torch.save_file`)")]
    NotSafetensors {
        /// What gives it away.
        detail: String,
    },
    /// The file is not a valid safetensors file (bad offsets, dtype names, ...).
    #[error("the parameter file is not valid safetensors: {detail}")]
    Corrupt {
        /// What the safetensors reader found.
        detail: String,
    },
    /// A tensor of the layout is missing from the file.
    #[error("the parameter file has no tensor `{name}`")]
    MissingTensor {
        /// The missing name.
        name: String,
    },
    /// The file has a tensor the layout does not know.
    #[error("the parameter file has a tensor `{name}` the layout does not have")]
    UnexpectedTensor {
        /// The extra name.
        name: String,
    },
    /// A tensor of the file has another shape than the layout's.
    #[error("tensor `{name}` has shape {found:?} in the file, the layout says {expected:?}")]
    WrongShape {
        /// The tensor.
        name: String,
        /// The layout's shape.
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// A tensor asked for as a matrix has more than two axes.
    #[error("tensor `{name}` has shape {shape:?}, which is not a matrix or a vector")]
    NotAMatrix {
        /// The tensor.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A matrix added into (or read from) a tensor has another shape than the tensor.
    #[error("a {rows} x {cols} matrix does not fit tensor `{name}` of shape {shape:?}")]
    MatrixShape {
        /// The tensor.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// The matrix's rows.
        rows: usize,
        /// The matrix's columns.
        cols: usize,
    },
    /// A tensor of the file is not stored as `F64`.
    #[error("tensor `{name}` is stored as {found}, expected F64")]
    WrongDtype {
        /// The tensor.
        name: String,
        /// The file's dtype.
        found: String,
    },
}

/// One named tensor of a [`Layout`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    /// Its name (`"layer1.weight"`).
    pub name: String,
    /// Its shape, row-major (`[out, in]` for a dense layer's weight, as in PyTorch).
    pub shape: Vec<usize>,
    /// Where it starts in the flat vector.
    pub offset: usize,
}

impl Tensor {
    /// The number of entries (the product of the shape).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its range in the flat vector.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// Named tensors laid out one after the other in a flat parameter vector, in the order they
/// were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    tensors: Vec<Tensor>,
    len: usize,
}

impl Layout {
    /// An empty layout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a tensor of the given shape.
    ///
    /// # Errors
    ///
    /// An empty name, or one the layout already has.
    pub fn tensor(mut self, name: &str, shape: &[usize]) -> Result<Self, ParamsError> {
        if name.is_empty() {
            return Err(ParamsError::EmptyName);
        }
        if self.tensors.iter().any(|t| t.name == name) {
            return Err(ParamsError::DuplicateName { name: name.into() });
        }
        let tensor = Tensor {
            name: name.into(),
            shape: shape.to_vec(),
            offset: self.len,
        };
        self.len += tensor.len();
        self.tensors.push(tensor);
        Ok(self)
    }

    /// The total number of parameters.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the layout holds no parameters.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tensors, in order.
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }

    /// The tensor of this name.
    ///
    /// # Errors
    ///
    /// [`ParamsError::UnknownTensor`].
    pub fn get(&self, name: &str) -> Result<&Tensor, ParamsError> {
        self.tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| ParamsError::UnknownTensor { name: name.into() })
    }

    /// The range of the tensor `name` in the flat vector.
    ///
    /// # Errors
    ///
    /// [`ParamsError::UnknownTensor`].
    pub fn range(&self, name: &str) -> Result<Range<usize>, ParamsError> {
        Ok(self.get(name)?.range())
    }

    /// A zero parameter vector of the layout's length.
    pub fn zeros(&self) -> Vec<f64> {
        vec![0.0; self.len]
    }

    fn check_len<T>(&self, params: &[T]) -> Result<(), ParamsError> {
        InputError::check_length("parameter vector", self.len, params.len())?;
        Ok(())
    }

    /// The entries of tensor `name` in `params` (row-major).
    ///
    /// # Errors
    ///
    /// An unknown name or a vector of the wrong length.
    pub fn view<'p, T>(&self, params: &'p [T], name: &str) -> Result<&'p [T], ParamsError> {
        self.check_len(params)?;
        Ok(&params[self.range(name)?])
    }

    /// The entries of tensor `name` in `params`, to write.
    ///
    /// # Errors
    ///
    /// An unknown name or a vector of the wrong length.
    pub fn view_mut<'p, T>(
        &self,
        params: &'p mut [T],
        name: &str,
    ) -> Result<&'p mut [T], ParamsError> {
        self.check_len(params)?;
        let range = self.range(name)?;
        Ok(&mut params[range])
    }

    /// `(rows, cols)` of tensor `name` read as a matrix: `[rows, cols]`, or a column for a
    /// vector.
    fn matrix_shape(&self, name: &str) -> Result<(usize, usize), ParamsError> {
        let tensor = self.get(name)?;
        match tensor.shape[..] {
            [rows, cols] => Ok((rows, cols)),
            [rows] => Ok((rows, 1)),
            _ => Err(ParamsError::NotAMatrix {
                name: name.into(),
                shape: tensor.shape.clone(),
            }),
        }
    }

    /// The tensor's `(rows, cols)`, which a `rows x cols` matrix must have.
    fn fitting_matrix_shape(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<(usize, usize), ParamsError> {
        let shape = self.matrix_shape(name)?;
        if shape != (rows, cols) {
            return Err(ParamsError::MatrixShape {
                name: name.into(),
                shape: self.get(name)?.shape.clone(),
                rows,
                cols,
            });
        }
        Ok(shape)
    }

    /// Tensor `name` of `params` as a nalgebra matrix at any scalar type (`[rows, cols]`,
    /// stored row-major as PyTorch does, becomes a `rows x cols` matrix): how a network written
    /// with nalgebra reads its weights from the flat vector an optimiser updates.
    ///
    /// ```
    /// use tapeless_runtime::params::{Layout, ParamsError};
    /// let layout = Layout::new().tensor("w", &[2, 3])?.tensor("b", &[2])?;
    /// let theta: Vec<f64> = (0..8).map(f64::from).collect();
    /// let w = layout.matrix(&theta, "w")?;
    /// assert_eq!((w.nrows(), w.ncols(), w[(1, 0)]), (2, 3, 3.0));
    /// assert_eq!(layout.vector(&theta, "b")?.as_slice(), &[6.0, 7.0]);
    /// # Ok::<(), ParamsError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An unknown name, a vector of the wrong length, or a tensor of more than two axes.
    pub fn matrix<S: nalgebra::Scalar + Copy>(
        &self,
        params: &[S],
        name: &str,
    ) -> Result<nalgebra::DMatrix<S>, ParamsError> {
        let (rows, cols) = self.matrix_shape(name)?;
        let row_major = self.view(params, name)?;
        let Some(&first) = row_major.first() else {
            return Ok(nalgebra::DMatrix::from_vec(rows, cols, Vec::new()));
        };
        let mut m = nalgebra::DMatrix::from_element(rows, cols, first);
        self.read_matrix(params, name, &mut m)?;
        Ok(m)
    }

    /// [`Layout::matrix`] into an existing matrix of the tensor's shape, allocating nothing: for
    /// a hot loop that reads the same network many times (a large allocation freed and made
    /// again costs the system's page faults every time).
    ///
    /// # Errors
    ///
    /// An unknown name, a vector of the wrong length, a tensor of more than two axes, or a
    /// matrix of another shape.
    pub fn read_matrix<S: nalgebra::Scalar + Copy>(
        &self,
        params: &[S],
        name: &str,
        m: &mut nalgebra::DMatrix<S>,
    ) -> Result<(), ParamsError> {
        let (rows, cols) = self.fitting_matrix_shape(name, m.nrows(), m.ncols())?;
        let row_major = self.view(params, name)?;
        let column_major = m.as_mut_slice();
        // nalgebra stores columns: transpose in tiles, so reads and writes both stay in cache
        // (an entry-by-entry strided copy is ten times slower on a 512 x 512 weight).
        for r0 in (0..rows).step_by(TRANSPOSE_TILE) {
            for c0 in (0..cols).step_by(TRANSPOSE_TILE) {
                for c in c0..(c0 + TRANSPOSE_TILE).min(cols) {
                    let column = &mut column_major[c * rows..(c + 1) * rows];
                    for (r, entry) in column
                        .iter_mut()
                        .enumerate()
                        .take((r0 + TRANSPOSE_TILE).min(rows))
                        .skip(r0)
                    {
                        *entry = row_major[r * cols + c];
                    }
                }
            }
        }
        Ok(())
    }

    /// Tensor `name` of `params` as a nalgebra column vector (its entries in order).
    ///
    /// # Errors
    ///
    /// An unknown name or a vector of the wrong length.
    pub fn vector<S: nalgebra::Scalar + Copy>(
        &self,
        params: &[S],
        name: &str,
    ) -> Result<nalgebra::DVector<S>, ParamsError> {
        Ok(nalgebra::DVector::from_column_slice(
            self.view(params, name)?,
        ))
    }

    /// Adds `m` (any nalgebra matrix or vector) into tensor `name` of `params` (row-major, the
    /// layout of [`Layout::matrix`]): how the adjoints of a network's weights return to the flat
    /// hypergradient.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use tapeless_runtime::params::{Layout, ParamsError};
    /// let layout = Layout::new().tensor("w", &[2, 3])?;
    /// let mut grad = layout.zeros();
    /// layout.accumulate(&mut grad, "w", &DMatrix::from_fn(2, 3, |r, c| (10 * r + c) as f64))?;
    /// assert_eq!(grad, [0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    /// # Ok::<(), ParamsError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An unknown name, a vector of the wrong length, or a matrix of another shape.
    pub fn accumulate<S, R, C, St>(
        &self,
        params: &mut [S],
        name: &str,
        m: &nalgebra::Matrix<S, R, C, St>,
    ) -> Result<(), ParamsError>
    where
        S: crate::Real,
        R: nalgebra::Dim,
        C: nalgebra::Dim,
        St: nalgebra::storage::Storage<S, R, C>,
    {
        let (rows, cols) = self.fitting_matrix_shape(name, m.nrows(), m.ncols())?;
        let entries = self.view_mut(params, name)?;
        // Tiles, as in `matrix`: the matrix is stored by columns, the tensor by rows.
        for r0 in (0..rows).step_by(TRANSPOSE_TILE) {
            for c0 in (0..cols).step_by(TRANSPOSE_TILE) {
                for r in r0..(r0 + TRANSPOSE_TILE).min(rows) {
                    let row = &mut entries[r * cols..(r + 1) * cols];
                    for c in c0..(c0 + TRANSPOSE_TILE).min(cols) {
                        row[c] += m[(r, c)];
                    }
                }
            }
        }
        Ok(())
    }

    /// Sets every entry of tensor `name` to `value(index)`, where `index` is its multi-index
    /// (`[r, c]` for a matrix): how a user writes an initialisation formula.
    ///
    /// # Errors
    ///
    /// An unknown name or a vector of the wrong length.
    pub fn fill(
        &self,
        params: &mut [f64],
        name: &str,
        mut value: impl FnMut(&[usize]) -> f64,
    ) -> Result<(), ParamsError> {
        let shape = self.get(name)?.shape.clone();
        let entries = self.view_mut(params, name)?;
        let mut index = vec![0; shape.len()];
        for entry in entries.iter_mut() {
            *entry = value(&index);
            // Row-major odometer: the last index runs fastest.
            for axis in (0..shape.len()).rev() {
                index[axis] += 1;
                if index[axis] < shape[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        Ok(())
    }

    /// Glorot (Xavier) uniform initialisation of tensor `name`: entries uniform in `[-a, a)`,
    /// `a = sqrt(6 / (fan_in + fan_out))`, with `fan_out` the first axis and `fan_in` the
    /// product of the others (PyTorch's convention for a weight `[out, in]`; a vector has
    /// `fan_in = fan_out = len`), drawn from `rng`, any generator of rand 0.9. A seeded
    /// generator of a named algorithm (`rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64`,
    /// `rand_pcg::Pcg64`) gives the same values on every platform; pass the same generator to
    /// every tensor of a network, so that the tensors get different draws.
    ///
    /// ```
    /// use rand_xoshiro::rand_core::SeedableRng;
    /// use rand_xoshiro::Xoshiro256PlusPlus;
    /// use tapeless_runtime::params::Layout;
    ///
    /// let layout = Layout::new().tensor("w1", &[4, 6]).unwrap().tensor("w2", &[4, 6]).unwrap();
    /// let mut theta = layout.zeros();
    /// let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    /// layout.glorot_uniform(&mut theta, "w1", &mut rng).unwrap();
    /// layout.glorot_uniform(&mut theta, "w2", &mut rng).unwrap();
    /// assert!(theta.iter().all(|w| w.abs() <= (6.0_f64 / 10.0).sqrt() && *w != 0.0));
    /// assert_ne!(theta[..24], theta[24..]);
    ///
    /// // The same seed, the same weights.
    /// let mut again = layout.zeros();
    /// let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    /// layout.glorot_uniform(&mut again, "w1", &mut rng).unwrap();
    /// assert_eq!(again[..24], theta[..24]);
    /// ```
    ///
    /// # Errors
    ///
    /// An unknown name or a vector of the wrong length.
    pub fn glorot_uniform<R: rand::Rng + ?Sized>(
        &self,
        params: &mut [f64],
        name: &str,
        rng: &mut R,
    ) -> Result<(), ParamsError> {
        let shape = &self.get(name)?.shape;
        let (fan_out, fan_in) = match shape.split_first() {
            Some((&out, rest)) if !rest.is_empty() => (out, rest.iter().product()),
            Some((&out, _)) => (out, out),
            None => (1, 1),
        };
        let limit = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
        for w in self.view_mut(params, name)? {
            *w = rng.random_range(-limit..limit);
        }
        Ok(())
    }

    fn check_finite(&self, params: &[f64]) -> Result<(), ParamsError> {
        for t in &self.tensors {
            if let Some(index) = params[t.range()].iter().position(|v| !v.is_finite()) {
                return Err(ParamsError::NonFinite {
                    name: t.name.clone(),
                    index,
                    value: params[t.offset + index],
                });
            }
        }
        Ok(())
    }

    /// The parameters as the bytes of a safetensors file: one `F64` tensor per entry of the
    /// layout, little-endian, with `{"format": "pt"}` metadata.
    ///
    /// # Errors
    ///
    /// A vector of the wrong length, or a non-finite parameter.
    pub fn to_safetensors(&self, params: &[f64]) -> Result<Vec<u8>, ParamsError> {
        self.check_len(params)?;
        self.check_finite(params)?;
        let bytes: Vec<Vec<u8>> = self
            .tensors
            .iter()
            .map(|t| {
                params[t.range()]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()
            })
            .collect();
        let mut views = Vec::with_capacity(self.tensors.len());
        for (t, b) in self.tensors.iter().zip(&bytes) {
            let view = safetensors::tensor::TensorView::new(Dtype::F64, t.shape.clone(), b)
                .map_err(corrupt)?;
            views.push((t.name.as_str(), view));
        }
        let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
        safetensors::serialize(views, Some(metadata)).map_err(corrupt)
    }

    /// The parameters read from the bytes of a safetensors file, checked against the layout:
    /// the same names, shapes and dtype `F64`, nothing missing or extra, every value finite.
    ///
    /// # Errors
    ///
    /// [`ParamsError::NotSafetensors`], [`ParamsError::Truncated`], [`ParamsError::Corrupt`],
    /// [`ParamsError::MissingTensor`],
    /// [`ParamsError::UnexpectedTensor`], [`ParamsError::WrongShape`],
    /// [`ParamsError::WrongDtype`] or [`ParamsError::NonFinite`].
    pub fn from_safetensors(&self, bytes: &[u8]) -> Result<Vec<f64>, ParamsError> {
        check_complete(bytes)?;
        let file = SafeTensors::deserialize(bytes).map_err(|e| match e {
            // A file longer than its header says: data after the last tensor.
            SafeTensorError::MetadataIncompleteBuffer => ParamsError::Corrupt {
                detail: "the file has bytes after the data its header describes".into(),
            },
            e => corrupt(e),
        })?;
        for name in file.names() {
            if self.get(name).is_err() {
                return Err(ParamsError::UnexpectedTensor { name: name.into() });
            }
        }
        let mut params = self.zeros();
        for t in &self.tensors {
            let view = file
                .tensor(&t.name)
                .map_err(|_| ParamsError::MissingTensor {
                    name: t.name.clone(),
                })?;
            if view.dtype() != Dtype::F64 {
                return Err(ParamsError::WrongDtype {
                    name: t.name.clone(),
                    found: view.dtype().to_string(),
                });
            }
            if view.shape() != t.shape.as_slice() {
                return Err(ParamsError::WrongShape {
                    name: t.name.clone(),
                    expected: t.shape.clone(),
                    found: view.shape().to_vec(),
                });
            }
            for (p, chunk) in params[t.range()]
                .iter_mut()
                .zip(view.data().chunks_exact(8))
            {
                *p = f64::from_le_bytes(chunk.try_into().expect("chunks of eight bytes"));
            }
        }
        self.check_finite(&params)?;
        Ok(params)
    }

    /// Saves the parameters to a safetensors file (see [`Layout::to_safetensors`]).
    ///
    /// # Errors
    ///
    /// As [`Layout::to_safetensors`], or [`ParamsError::Io`].
    pub fn save(&self, params: &[f64], path: impl AsRef<Path>) -> Result<(), ParamsError> {
        let bytes = self.to_safetensors(params)?;
        std::fs::write(path.as_ref(), bytes).map_err(|source| ParamsError::Io {
            path: path.as_ref().into(),
            source,
        })
    }

    /// Loads parameters from a safetensors file (see [`Layout::from_safetensors`]).
    ///
    /// # Errors
    ///
    /// As [`Layout::from_safetensors`], or [`ParamsError::Io`].
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Vec<f64>, ParamsError> {
        let bytes = std::fs::read(path.as_ref()).map_err(|source| ParamsError::Io {
            path: path.as_ref().into(),
            source,
        })?;
        self.from_safetensors(&bytes)
    }
}

fn corrupt(e: SafeTensorError) -> ParamsError {
    ParamsError::Corrupt {
        detail: e.to_string(),
    }
}

/// The largest header the safetensors reader accepts (its `MAX_HEADER_SIZE`).
const MAX_HEADER_LEN: u64 = 100_000_000;

/// The checks of the format, before its parser: an 8-byte little-endian header length, the
/// JSON header (an object, so its first byte is `{`), then the data, whose end is the largest
/// `data_offsets` end in the header. A file that is not safetensors at all is told apart from
/// one cut short: its header length is absurd, or its header does not start as JSON.
fn check_complete(bytes: &[u8]) -> Result<(), ParamsError> {
    let Some(head) = bytes.get(..8) else {
        return Err(ParamsError::Truncated {
            needed: 8,
            found: bytes.len(),
        });
    };
    let header_len = u64::from_le_bytes(head.try_into().expect("eight bytes"));
    let not_safetensors = |detail: String| Err(ParamsError::NotSafetensors { detail });
    if header_len > MAX_HEADER_LEN {
        return not_safetensors(format!(
            "its first eight bytes give a header length of {header_len} bytes, more than any safetensors header (at most {MAX_HEADER_LEN})"
        ));
    }
    if let Some(&first) = bytes.get(8) {
        if first != b'{' {
            return not_safetensors(format!(
                "its header starts with byte {first:#04x}, not with `{{` as a JSON object does"
            ));
        }
    }
    let needed = usize::try_from(header_len)
        .ok()
        .and_then(|n| n.checked_add(8))
        .ok_or_else(|| ParamsError::Corrupt {
            detail: format!("header length {header_len} does not fit in memory"),
        })?;
    if bytes.len() < needed {
        return Err(ParamsError::Truncated {
            needed,
            found: bytes.len(),
        });
    }
    // The data's end: the largest `data_offsets` end in the header.
    let header: serde_json::Value = match serde_json::from_slice(&bytes[8..needed]) {
        Ok(header) => header,
        Err(e) => return not_safetensors(format!("its header is not JSON ({e})")),
    };
    let data_end = header
        .as_object()
        .into_iter()
        .flat_map(|entries| entries.values())
        .filter_map(|entry| entry.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    match usize::try_from(data_end)
        .ok()
        .and_then(|end| end.checked_add(needed))
    {
        Some(total) if total > bytes.len() => Err(ParamsError::Truncated {
            needed: total,
            found: bytes.len(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
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
        let bytes = include_bytes!("../tests/data/torch_linear.safetensors");
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
}
