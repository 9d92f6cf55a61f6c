#!/bin/sh
# Capability "console-demo" of the browser end-to-end tests: output the run
# console must render (ANSI colours, a progress bar redrawn with \r), then
# an echo of every stdin line until stdin closes.
printf '\033[1;32mgreen-bold\033[0m plain \033[31mred-text\033[0m \033[44mblue-background\033[0m\n'
i=0
while [ "$i" -le 10 ]; do
	bar=$(printf '%*s' "$i" '' | tr ' ' '#')
	printf '\rprogress [%-10s] %3d%%' "$bar" $((i * 10))
	sleep 0.1
	i=$((i + 1))
done
printf '\n'
echo "ready for input"
while IFS= read -r line; do
	echo "echo: $line"
done
echo "stdin closed"
