#!/usr/bin/env node
console.log('locvlm');
