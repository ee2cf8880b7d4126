#!/bin/sh
printf 'Name: '; read name
printf 'Password: '; read pw
printf 'Again: '; read pw2
printf 'Again: '; read pw3
echo "hello $name ($pw/$pw2/$pw3)"
exit ${1:-0}
