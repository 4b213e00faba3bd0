"""Which kernels the torch peer runs (imported by the *_torch.py peers of bench/, run from this folder)."""
import torch


def kernel_config():
    """torch's oneDNN, ATen's CPU dispatch and the BLAS threadpoolctl finds, on one line."""
    lines = [l.strip("- ").strip() for l in torch.__config__.show().splitlines() if "capability" in l or "MKL-DNN" in l]
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            if pool.get("internal_api") in ("openblas", "mkl", "blis"):
                lines.append(f"{pool['internal_api']} {pool.get('version')} {pool.get('architecture')}")
    except Exception as err:  # threadpoolctl missing: say so rather than guess
        lines.append(f"BLAS unknown ({type(err).__name__})")
    return "; ".join(lines)
