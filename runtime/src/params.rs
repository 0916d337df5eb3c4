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
mod tests;
