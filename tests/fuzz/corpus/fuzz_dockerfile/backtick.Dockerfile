# escape=`
FROM mcr.microsoft.com/windows AS w
RUN dir `
  c:\
ENV P="a b" Q=${P:+set} R=${P/a/A}
