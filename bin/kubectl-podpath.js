#!/usr/bin/env -S node --max-semi-space-size=2 --expose-gc
// kubectl runs any program named kubectl-<name> on PATH as a plugin: `kubectl podpath trace …`
// runs this with the arguments after `podpath`, which podpath reads as its own.
import './podpath.js';
