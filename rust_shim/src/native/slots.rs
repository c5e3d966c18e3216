//! `SlotMaker`: an instance of a slotted class (an event) from the values of its slots, in one
//! call. The events are frozen dataclasses: Python fills a fresh one slot by slot through each
//! member descriptor's `__set__`, a call that builds and unpacks an argument tuple every time;
//! here the instance is allocated and each slot written once, as the descriptor would write it.
//! The journal's native decoder builds its events the same way (`alloc_instance`,
//! `slot_offset`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple, PyType};

/// The offset of `cls`'s slot `name`: its member descriptor must hold an object (`T_OBJECT_EX`,
/// writable) inside the instance.
pub(crate) fn slot_offset(cls: &Bound<'_, PyType>, name: &Bound<'_, PyString>) -> PyResult<isize> {
    let descr = cls.getattr(name)?;
    if descr.get_type().name()? != "member_descriptor" {
        return Err(PyValueError::new_err(format!(
            "{name} is not a slot of {cls}"
        )));
    }
    // SAFETY: a `member_descriptor` is a `PyMemberDescrObject`, whose `d_member` points at the
    // class's `PyMemberDef` (pyo3-ffi types the pointer as `PyGetSetDef`).
    let member = unsafe {
        let descr = descr.as_ptr().cast::<ffi::PyMemberDescrObject>();
        &*(*descr).d_member.cast::<ffi::PyMemberDef>()
    };
    // SAFETY: `cls` is a live type object.
    let size = unsafe { (*cls.as_type_ptr()).tp_basicsize };
    let readonly = member.flags & ffi::Py_READONLY != 0;
    if member.type_code != ffi::Py_T_OBJECT_EX
        || readonly
        || member.offset <= 0
        || member.offset >= size
    {
        return Err(PyValueError::new_err(format!(
            "{name} of {cls} is not a writable object slot"
        )));
    }
    Ok(member.offset)
}

/// Refuses a class that `alloc_instance` cannot make: one with a `__new__` of its own (the
/// events have object's, and no `__init__` runs for them).
pub(crate) fn check_plain_new(cls: &Bound<'_, PyType>) -> PyResult<()> {
    // SAFETY: reading the `tp_new` slot of live type objects; `PyBaseObject_Type` is static.
    let (own, object) = unsafe {
        (
            (*cls.as_type_ptr()).tp_new.map(|f| f as usize),
            (*std::ptr::addr_of_mut!(ffi::PyBaseObject_Type))
                .tp_new
                .map(|f| f as usize),
        )
    };
    if own == object {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "{cls} has a __new__ of its own"
        )))
    }
}

/// `object.__new__(cls)` without its checks, for a class `check_plain_new` accepted: a zeroed
/// (every slot NULL), GC-tracked instance.
pub(crate) fn alloc_instance<'py>(
    py: Python<'py>,
    cls: &Bound<'py, PyType>,
) -> PyResult<Bound<'py, PyAny>> {
    let cls = cls.as_type_ptr();
    // SAFETY: reading a live type's slot; its `tp_alloc` returns a new reference or NULL with
    // an error set.
    unsafe {
        let alloc = (*cls)
            .tp_alloc
            .ok_or_else(|| PyTypeError::new_err("a type without tp_alloc"))?;
        Bound::from_owned_ptr_or_err(py, alloc(cls, 0))
    }
}

/// Writes `value` into the still-NULL slot at `offset` of a fresh instance, taking a reference
/// as the slot's descriptor would.
///
/// # Safety
/// `offset` must come from `slot_offset` for `instance`'s class, and the slot must be NULL.
pub(crate) unsafe fn fill_slot(
    instance: &Bound<'_, PyAny>,
    offset: isize,
    value: Bound<'_, PyAny>,
) {
    // SAFETY: per the function's contract, the slot lies inside the instance and holds nothing.
    unsafe {
        *instance
            .as_ptr()
            .cast::<u8>()
            .offset(offset)
            .cast::<*mut ffi::PyObject>() = value.into_ptr();
    }
}

/// Makes instances of one slotted class from its slots' values (see the module's
/// documentation): `SlotMaker(cls, names).make(values)` is the instance whose slot `names[i]`
/// holds `values[i]`, the same as `object.__new__(cls)` with each slot set through its
/// descriptor. Nothing is checked but the count: the caller has checked every value.
/// `copy(instance)` is a shallow copy of an instance of the class, slot for slot.
#[pyclass(module = "weatherman_inventory._native", frozen)]
pub struct SlotMaker {
    cls: Py<PyType>,
    offsets: Vec<isize>,
}

#[pymethods]
impl SlotMaker {
    #[new]
    fn new(cls: &Bound<'_, PyType>, names: &Bound<'_, PyTuple>) -> PyResult<Self> {
        check_plain_new(cls)?;
        let offsets = names
            .iter()
            .map(|name| slot_offset(cls, name.cast::<PyString>()?))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(Self {
            cls: cls.clone().unbind(),
            offsets,
        })
    }

    /// The instance whose slots hold `values`, in the order of the names given at construction.
    fn make<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if values.len() != self.offsets.len() {
            return Err(PyTypeError::new_err(format!(
                "{} values for the {} slots of {}",
                values.len(),
                self.offsets.len(),
                self.cls.bind(py)
            )));
        }
        let instance = alloc_instance(py, self.cls.bind(py))?;
        for (&offset, value) in self.offsets.iter().zip(values.iter()) {
            // SAFETY: each offset came from `slot_offset` for this class at construction, and
            // each slot of the fresh instance is written once.
            unsafe { fill_slot(&instance, offset, value) };
        }
        Ok(instance)
    }

    /// A new instance of the class holding the same objects as `instance` in the named slots
    /// (a shallow copy; an unset slot stays unset). TypeError unless `instance`'s type is the
    /// class itself.
    fn copy<'py>(
        &self,
        py: Python<'py>,
        instance: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cls = self.cls.bind(py);
        if !instance.get_type().is(cls) {
            return Err(PyTypeError::new_err(format!(
                "a {} to copy, not a {}",
                cls,
                instance.get_type()
            )));
        }
        let copy = alloc_instance(py, cls)?;
        for &offset in &self.offsets {
            // SAFETY: `offset` came from `slot_offset` for this class, which `instance` is an
            // instance of: the slot holds an object or NULL.
            let value = unsafe {
                let slot = *instance
                    .as_ptr()
                    .cast::<u8>()
                    .offset(offset)
                    .cast::<*mut ffi::PyObject>();
                Bound::from_borrowed_ptr_or_opt(py, slot)
            };
            if let Some(value) = value {
                // SAFETY: as in `make`: each slot of the fresh instance is written once.
                unsafe { fill_slot(&copy, offset, value) };
            }
        }
        Ok(copy)
    }
}
