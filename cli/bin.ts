#!/usr/bin/env node
import { handleCliError, runCli } from './run-cli.js'

runCli(process.argv).catch(handleCliError)
