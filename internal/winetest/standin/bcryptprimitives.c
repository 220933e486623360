/*
 * bcryptprimitives.c: a stand-in for Windows' bcryptprimitives.dll, for
 * running Go programs under Wine 8 only. Never ship it.
 *
 * Go 1.24 and later read random bytes with ProcessPrng from
 * bcryptprimitives.dll (Windows 10 and later); Wine 8.0 has no such DLL,
 * so a Go exe aborts at start. This DLL exports ProcessPrng on top of
 * RtlGenRandom (SystemFunction036 in advapi32), which Wine implements
 * with the host's random source.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
