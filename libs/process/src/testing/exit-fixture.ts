/** Writes two lines and exits with status 3 before it is ever ready (launcher tests). */
process.stdout.write('starting\n');
process.stderr.write('cannot open the model repository\n');
process.exitCode = 3;
