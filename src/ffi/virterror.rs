//! `virterror.h`: the error API.
#![allow(non_snake_case)]
