// Entry point of the `strata` binary.
import { main } from './main';

void main(process.argv).then((code) => {
  process.exitCode = code;
});
