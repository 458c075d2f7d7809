"""Lessons: a fixed track of steps (gate equations, forget-gate bias, RNN vs LSTM on the echo
task, stock honesty), each a few sentences and one live chart, with Back / Next."""

from __future__ import annotations

import streamlit as st

from dashboard.lessons import nav
from dashboard.lessons.steps import STEPS

k = nav.current(len(STEPS))
nav.header([s.title for s in STEPS], k)
step = STEPS[k]
st.subheader(step.title, anchor=False)
step.render()
nav.footer(len(STEPS), k)
